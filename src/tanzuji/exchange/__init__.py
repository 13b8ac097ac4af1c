"""Supply-chain exchange: the WBCSD PACT Technical Specifications v3 data model and mapping.

Pure modules (no database, no settings, no global state):

* :mod:`.model` — ProductFootprint, CarbonFootprint, the CloudEvents of Action Events and the
  Error body, as pydantic models written from the specification (PACT Tech Specs v3.0.3,
  sections "Data Model" and "HTTP REST API"); decimal strings stay strings, so a footprint
  read and written again is the same JSON;
* :mod:`.filters` — the ListFootprints / RequestCreatedEvent criteria and the validity period
  with its fallback (section "Validity Period");
* :mod:`.mapping` — a certified Tanzuji result as a ProductFootprint, and back to a
  primary-data emission factor;
* :mod:`.openapi` — validation of a document against the schemas of an OpenAPI document the
  caller reads (the specification's licence forbids shipping it, so the edge names a path);
* :mod:`.client` — an HTTP client of another PACT host (token, list with pagination, get, post
  an event), every parameter explicit.

The PACT host (:mod:`tanzuji.pact_host`) and :mod:`tanzuji.services.pact` use them.
"""
