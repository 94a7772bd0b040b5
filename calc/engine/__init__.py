"""The engine: run any spec forward and backward on an array backend (NumPy, CuPy, exact).

It uses the very layer objects that counting uses (calc.layers); this package adds what is
about whole networks: the run context, the model (parameters, forward, backward), initialisers,
losses, optimizers and input/weight files.
"""
