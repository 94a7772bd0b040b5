"""Counting a network without running it: output sizes and padding (size_formulas), parameters,
MACs and memory per layer (stats), receptive fields (receptive). Data only, no formatting."""
