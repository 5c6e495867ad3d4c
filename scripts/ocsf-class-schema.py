#!/usr/bin/env python3
"""Builds a JSON Schema (draft 2020-12) for one OCSF event class from a checkout of
https://github.com/ocsf/ocsf-schema, the way the OCSF server's JSON-schema export does:
the class's attributes (with the profiles named in the third argument applied) after `extends` and `$include` are resolved, each typed from
dictionary.json, objects as `$defs`, `required` from `requirement: required`, integer
enums from `enum`, and no attributes beyond those the schema defines.

The output is vendored as tests/data/ocsf/<class>-<version>.schema.json and used by the
OCSF reporter's tests. Regenerate with, e.g.:

    git clone https://github.com/ocsf/ocsf-schema /tmp/ocsf && git -C /tmp/ocsf checkout v1.3.0
    scripts/ocsf-class-schema.py /tmp/ocsf compliance_finding cloud > tests/data/ocsf/compliance_finding-1.3.0.schema.json
"""

import json
import os
import sys

PRIMITIVES = {
    "boolean_t": {"type": "boolean"},
    "integer_t": {"type": "integer"},
    "long_t": {"type": "integer"},
    "float_t": {"type": "number"},
    "timestamp_t": {"type": "integer"},
    "json_t": {},
    "object_t": {"type": "object"},
}


def load(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return json.load(f)


def index(root, folder):
    """name -> (relative path, definition) for every JSON file below folder."""
    out = {}
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for name in files:
            if name.endswith(".json"):
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                d = load(root, rel)
                if "name" in d:
                    out[d["name"]] = (rel, d)
    return out


def merged_attributes(root, definition, defs_by_name, profiles=()):
    """Attributes of a class or object after `extends` and `$include`, child wins.
    Attributes of a profile are required only when the profile is applied."""
    attrs = {}
    parent = definition.get("extends")
    if parent and parent in defs_by_name:
        attrs.update(merged_attributes(root, defs_by_name[parent][1], defs_by_name, profiles))
    own = dict(definition.get("attributes", {}))
    for inc in own.pop("$include", []):
        profile = inc.startswith("profiles/") and os.path.basename(inc)[:-5]
        for k, v in load(root, inc).get("attributes", {}).items():
            if profile and profile not in profiles and v.get("requirement") == "required":
                v = {**v, "requirement": "optional"}
            attrs[k] = {**attrs.get(k, {}), **v}
    for k, v in own.items():
        attrs[k] = {**attrs.get(k, {}), **v}
    return attrs


def main():
    root, cls = sys.argv[1], sys.argv[2]
    applied = tuple(p for p in (sys.argv[3] if len(sys.argv) > 3 else "").split(",") if p)
    dictionary = load(root, "dictionary.json")
    dict_attrs = dictionary["attributes"]
    types = dictionary["types"]["attributes"]
    version = load(root, "version.json")["version"]
    categories = load(root, "categories.json")["attributes"]
    events = index(root, "events")
    objects = index(root, "objects")
    defs = {}

    def type_schema(tname):
        if tname in PRIMITIVES:
            return dict(PRIMITIVES[tname])
        if tname in types:
            t = types[tname]
            base = t.get("type", tname)
            s = dict(PRIMITIVES.get(base, {"type": "string"}))
            if t.get("regex") and s.get("type") == "string":
                s["pattern"] = t["regex"]
            return s
        if tname == "object":
            # The generic `object` type (e.g. `unmapped`) holds arbitrary attributes.
            return {"type": "object"}
        if tname in objects:
            build_object(tname)
            return {"$ref": f"#/$defs/{tname}"}
        return {"type": "string"}

    def attr_schema(name, spec):
        d = {**dict_attrs.get(name, {}), **spec}
        s = type_schema(d.get("type", "string_t"))
        enum = d.get("enum")
        if enum and s.get("type") == "integer":
            s["enum"] = sorted(int(k) for k in enum)
        if d.get("is_array"):
            s = {"type": "array", "items": s}
        return s

    def properties(attrs):
        props, required = {}, []
        for name, spec in sorted(attrs.items()):
            props[name] = attr_schema(name, spec)
            if spec.get("requirement") == "required":
                required.append(name)
        return props, required

    def build_object(name):
        if name in defs:
            return
        defs[name] = {}  # placeholder: objects may refer to themselves
        attrs = merged_attributes(root, objects[name][1], objects)
        props, required = properties(attrs)
        defs[name] = {
            "type": "object",
            "title": objects[name][1].get("caption", name),
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }

    event = events[cls][1]
    attrs = merged_attributes(root, event, events, applied)
    props, required = properties(attrs)
    category = event.get("category") or events[event["extends"]][1].get("category")
    category_uid = categories[category]["uid"]
    class_uid = category_uid * 1000 + event["uid"]
    props["class_uid"] = {"const": class_uid}
    props["category_uid"] = {"const": category_uid}
    activities = props.get("activity_id", {}).get("enum", [0, 99])
    props["type_uid"] = {"enum": [class_uid * 100 + a for a in activities]}
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://schema.ocsf.io/{version}/classes/{cls}",
        "title": f"OCSF {version} {event.get('caption', cls)} ({class_uid})",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }
    json.dump(schema, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
