"""The continuous baseline: GANs on 2-D Gaussian mixtures and small digit images, on the suite's losses, loop,
checkpoints and CLIs (issue #8).

`data.py` (ring8, grid25, digits as data sources), `nets.py` (MLP and DCGAN G / D, CGAN conditioning,
spectral norm), `gan.py` (one algorithm parametrised by loss / penalty / spectral norm; Goodfellow et al.
arXiv 1406.2661, DCGAN arXiv 1511.06434, WGAN-GP arXiv 1704.00028, LSGAN arXiv 1611.04076, SN-GAN arXiv
1802.05957, DRAGAN arXiv 1705.07215), `gan_spec.py` (the registered models), `metrics.py`, `classifier.py`,
`evaluator.py`, `plots.py` and `sample_run.py` (PNG samples of a saved run).
"""
