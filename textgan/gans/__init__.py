"""Training algorithms, one file each (MLE, and the GANs built on it)."""
