"""NumPy-only neural network, MNIST data and training: no pygame here."""
