"""The admin dashboard's pure parts: day ranges, aggregates and chart geometry.

No Flask or database imports here: ``services/ops/dashboard.py`` reads the rows
and hands plain values in, so every figure and every chart's shape can be
tested without a database.
"""
