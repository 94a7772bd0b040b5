"""Activation layers by family; calc.layers imports each family module to register its types
(base.Activation is the class they share)."""
