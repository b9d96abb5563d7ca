"""Ingest: validate a raw folder once into a partitioned Parquet dataset, then read that."""

from features.ingest.run import Ingested, dataset_folder, ingest_folder, load_ingested

__all__ = ["Ingested", "dataset_folder", "ingest_folder", "load_ingested"]
