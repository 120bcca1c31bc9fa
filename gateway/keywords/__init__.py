"""Custom keyword rules: a reply such as "C" or "INFO PRICES" triggers configured actions."""
