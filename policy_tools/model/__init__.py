"""Typed models that own the JSON contracts: the policy document, the change set and the
store catalog. The JSON Schemas in ``policy_tools/schema/`` are generated from them."""
