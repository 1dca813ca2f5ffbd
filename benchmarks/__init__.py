"""Benchmark runners (grids of training runs + protocol evaluation) and the renderer of their results."""
