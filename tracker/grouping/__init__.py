"""Which release an artifact joins and what the release is called.

Families and variants read from repo names (``families``), the grouping rules (``rules``),
base-model lineage (``lineage``), paper links (``papers``), the significance score
(``significance``) and ``regroup`` (rebuild releases after a rule change).
"""
