"""Small helpers that several handler packages share: messages to one person, the
storage call that stages outgoing items, flow numbers, form answers and form commands."""
