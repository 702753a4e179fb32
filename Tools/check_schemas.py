#!/usr/bin/env python3
"""Checks the payload corpus (Tests/Fixtures/payloads/cases.jsonl) against Schemas/v{1,2,3}.schema.json
with Python's jsonschema (draft 2020-12): every case marked "schema": true must be accepted exactly
when the corpus expects "ok". This is the independent half of the agreement between the schemas
and the Swift validator (whose half is PayloadConformanceTests). Exits 1 on any disagreement.
"""
import json
import os
import sys

import jsonschema

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
schemas = {}
for version in (1, 2, 3):
    with open(os.path.join(root, "Schemas", f"v{version}.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    schemas[version] = jsonschema.Draft202012Validator(schema)

checked = disagreements = 0
with open(os.path.join(root, "Tests", "Fixtures", "payloads", "cases.jsonl")) as f:
    for line in f:
        case = json.loads(line)
        if not case["schema"]:
            continue
        payload = case["payload"]
        version = case["route"] or payload.get("v")
        if version not in schemas:  # routing by an invalid v is the validator's business
            continue
        errors = list(schemas[version].iter_errors(payload))
        expected_ok = case["expect"] == "ok"
        checked += 1
        if expected_ok != (not errors):
            disagreements += 1
            print(f"DISAGREE {case['name']!r}: corpus expects {case['expect']}, schema says "
                  f"{'valid' if not errors else errors[0].message[:200]}")
print(f"schema check: {checked - disagreements} passed, {disagreements} failed")
sys.exit(1 if disagreements else 0)
