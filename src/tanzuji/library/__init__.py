"""The background process library (背景过程数据库): unit processes and their exchanges.

Practitioners bring background data as unit-process databases (openLCA JSON-LD, EcoSpold 1
and 2, ILCD, SimaPro CSV). This package reads them into one model, maps units and elementary
flows, links every technosphere input to the process that provides it, builds the library's
technosphere and biosphere matrices and computes the cradle-to-gate footprint of every
process in one transposed solve. It knows nothing of databases: ``tanzuji.store.library``
persists what it produces and ``tanzuji.services.library`` runs an import or a derivation end
to end.

========================= =========================================================
module                    owns
========================= =========================================================
:mod:`.model`             processes, exchanges, flows, flow properties, unit groups
:mod:`.sources`           the files of a package: a folder, a zip, bytes
:mod:`.jsonld`            openLCA JSON-LD (olca-schema v1 and v2 spellings)
:mod:`.datasets`          EcoSpold 1 and 2, ILCD, SimaPro CSV through the factor importers
:mod:`.quantities`        amounts converted to each flow's reference unit (tanzuji.units)
:mod:`.elementary`        elementary flows mapped to Tanzuji gases and origins
:mod:`.linking`           provider linking rules and one decision per technosphere exchange
:mod:`.matrices`          technosphere and biosphere matrices of a linked library
:mod:`.solve`             the factorized library; cradle-to-gate kg of each gas
:mod:`.derive`            cradle-to-gate intensities published as factor records
:mod:`.report`            the link report: one row per linking decision
:mod:`.shipped`           about files (title, publisher, licence) and shipped derived factors
:mod:`.foreground`        library processes as inputs of a product model (``library:ID``)
========================= =========================================================
"""
