"""Reconciliation (四查三比对): the household register linked to the school register."""
