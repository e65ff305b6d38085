"""Computation: a parsed program lowered to a graph, bound to values, run forward and backward
(scalar and array engines) into a Trace. Imports lang/, gates/, errors, text; never a view."""
