"""Models in and code out: networks read from other tools' files (ONNX, Keras configs) and specs
written for them. Each reader builds an ordinary spec, so counting and running see only layers a
user could write."""
