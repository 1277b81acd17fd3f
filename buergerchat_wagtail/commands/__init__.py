"""The command layer: one function per operation, called by every transport.

The citizen socket and the citizen HTTP API call :mod:`.citizen`; the staff socket
and the admin views call :mod:`.staff`. Each command takes ids and a validated frame
(``protocol.frames``), checks who may do it, calls the domain and returns the reply
frame (``protocol.frames.reply``); a refusal is a ``ProtocolError``. Transports only
decode, call and encode.
"""
