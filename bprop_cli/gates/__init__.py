"""The gates: each gate's forward rule, local derivatives, formulas, domain and lesson, in one
registry. Imports errors and text only; never sympy (trust/ holds the gates' sympy forms)."""
