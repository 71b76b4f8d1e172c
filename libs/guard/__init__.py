"""The guard: normalisation, screening of visitor messages and the output guard, shared by the
security service (which adds rate limits, incidents and escalation) and chat (which screens in process
when the gateway could not, and checks replies in process first). Pure code, no I/O, no service import.

- `settings.GuardSettings`: the one settings class (env prefix `SECURITY_`) both build from.
- `normalise`: folding, look-alikes, invisible characters, decoded blobs, variants.
- `screening`: the `Screener` (`screening/screener.py`), its rules by attack family, cues, n-gram model.
- `output_guard`: canary, system-prompt echo, secrets and personal data in a reply.
"""
