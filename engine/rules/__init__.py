"""Rules across months (跨月规则): streaks, pay, levels, the promotion ladder, money rules."""
