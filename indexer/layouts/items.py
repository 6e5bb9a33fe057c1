"""placeholder"""
def delimited_rows(texts):
    tabbed = sum(1 for t in texts if "\t" in t)
    piped = sum(1 for t in texts if t.strip().startswith("|") and t.strip().endswith("|"))
    return max(tabbed, piped)
def parse_items_table(block):
    return None
