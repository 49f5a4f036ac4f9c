"""Real PAC adapters (issue 11 §2), one module per PAC, each built on satcfdi's client for it.

Every adapter implements `timbra.cfdi.pac.Pac` (stamp the exact signed bytes, recover),
`PacCancellation` and `PacConnectionCheck`, with connect and read timeouts (`transport`), a
configurable base URL (so tests point them at the fakes in `tests/fakes/`), and the PAC's answer
codes turned into Spanish reasons (`codes`). `failover.FailoverPac` puts a second PAC behind the
first, used only when the first provably never received the document.
"""
