"""The seed's virtual prescription (its Vidal view), shared by the drug tests."""

SEED = [
    "ATENOLOL 50 mg cp",
    "AMLODIPINE (bésilate) 5 mg gél",
    "KARDEGIC 75 mg pdre p sol buv",
    "FUROSEMIDE 20 mg cp séc",
    "DICLOFENAC 1 % gel",
    "LANSOPRAZOLE 30 mg cp orodispers",
]
