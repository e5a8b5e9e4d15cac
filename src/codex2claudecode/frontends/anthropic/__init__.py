"""frontends/anthropic"""
