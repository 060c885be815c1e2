"""The what-if page's parts, one file for each thing it draws: the prepared period (basis), the
scenario being edited, its controls, the solvers and the results."""
