"""textgan: adversarial text generation in PyTorch, with exact and fast evaluation.

Entry points: `python -m textgan.train`, `python -m textgan.sample`, `python -m textgan.evaluate`,
`python -m textgan.data`. Library API: `textgan.registry` (models), `textgan.data.sources.load_data`,
`textgan.sampling.sample`, `textgan.metrics`, `textgan.runs.load_run`.
"""

__version__ = "0.1.0"
