#!/usr/bin/env python3
"""Submits sheets one by one to whichever node is the sequencer, through fail-overs.

Used by tests/cli/nodes_test.sh (issue 15). Usage:
  nodes_submitter.py <ports file> <sheets dir> <token> <acks file> <stop file> [sheets per second]

<ports file> lists the nodes' ports, one per line, re-read whenever a node does not answer (a
killed node is restarted on a new port). Each sheet is POSTed until it is acknowledged: 201
(logged) or 200 (a duplicate: already in the log, e.g. logged by a sequencer killed before it
could answer). A follower's 503 names the sequencer (Tallylog-Sequencer); a refused connection
moves to the next node. Every acknowledgement is written to <acks file> as
"<monotonic seconds> <status> <sheet file> <port>" and flushed at once. Stops when <stop file> exists.
"""
import http.client
import json
import os
import sys
import time

ports_file, sheets_dir, token, acks_path, stop_path = sys.argv[1:6]
rate = float(sys.argv[6]) if len(sys.argv) > 6 else 0  # 0: as fast as the answers come


def ports():
    with open(ports_file) as f:
        return [int(p) for p in f.read().split()]


def post(port, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        c.request("POST", "/api/v1/sheets", body=body,
                  headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Tallylog-Sequencer")
    finally:
        c.close()


acks = open(acks_path, "a")
target = None
began = time.monotonic()
for n, name in enumerate(sorted(os.listdir(sheets_dir))):
    if os.path.exists(stop_path):
        break
    if rate > 0:
        time.sleep(max(0.0, began + n / rate - time.monotonic()))
    body = open(os.path.join(sheets_dir, name), "rb").read()
    while True:
        candidates = ([target] if target else []) + [p for p in ports() if p != target]
        done = False
        for port in candidates:
            try:
                status, seq = post(port, body)
            except (OSError, http.client.HTTPException):
                if port == target:
                    target = None
                continue
            if status in (200, 201):
                acks.write("%.3f %d %s %d\n" % (time.monotonic(), status, name, port))
                acks.flush()
                target = port
                done = True
                break
            if status == 503 and seq:
                p = int(seq.rstrip("/").rsplit(":", 1)[1])
                target = p if p in ports() else None
                if target == port:
                    break  # the sequencer itself is not ready (still loading): wait a moment
                continue
            if status == 503:
                continue  # no sequencer yet, or it is starting
            sys.exit("sheet %s: unexpected status %d" % (name, status))
        if done:
            break
        time.sleep(0.05)
