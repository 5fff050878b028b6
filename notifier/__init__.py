"""Tier expiring accreditations from the dbt mart and publish alerts to Amazon SNS."""
