"""Data: tokenizer, corpora, the synthetic oracle, named data sets and their download.

`python -m textgan.data download NAME` fetches a standard data set (see `download.py`).
"""
