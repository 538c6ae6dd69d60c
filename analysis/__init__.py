"""Offline gait analysis: per-sensor DataFrames in, ankle angles, strides and day summaries out.

This package never imports bleak, Bumble or the capture side.
"""
