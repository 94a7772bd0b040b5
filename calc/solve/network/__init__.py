"""The ``network`` problem type (and ``nncalc backprop``): a spec's layers run on the exact
backend, the work ordered forward, loss, backward, update; each layer's narrator writes its steps."""
