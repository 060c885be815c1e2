"""Assessment schemes and rules files: loading, checking, editing, versions, plain words."""
