"""The OS's identity: who it is and how it speaks (grows in later issues)."""
