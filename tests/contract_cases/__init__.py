"""One module per emlib model, each with a list ``CASES`` of ``em_contract.ContractCase``."""
