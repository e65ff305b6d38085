"""The trust features: gradient checks (central differences, sympy), symbolic and exact traces,
bounded exact arithmetic. Imports engine/ and below; never prints."""
