"""Ingest: validate a raw folder once into a partitioned Parquet dataset, then read that.

`run` (ingest_folder, load_ingested) is imported by name: a Dask worker that only reads
partitions (`store`) does not import the validator with it.
"""
