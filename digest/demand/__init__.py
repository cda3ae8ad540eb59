"""Demand figures for a skill, and shift detection."""
