"""Visma e-conomic (REST API, restapi.e-conomic.com): two tokens instead of OAuth, drafts that are booked."""
