"""Knee-to-wall (weight-bearing lunge) test: method, guided session, virtual motion, command."""
