"""textgan: adversarial text generation in PyTorch, with exact and fast evaluation.

Entry points: `python -m textgan.train`, `python -m textgan.sample`, `python -m textgan.evaluate`,
`python -m textgan.data`. Library API: `textgan.registry` (models), `textgan.data.sources.load_data`,
`textgan.sampling.sample`, `textgan.metrics`, `textgan.metrics.nll.sequence_nll`,
`textgan.metrics.sweep.evaluate_generator`, `textgan.runs.load_run`; README.md's "Python API" section shows
them together.
"""

__version__ = "0.1.0"
