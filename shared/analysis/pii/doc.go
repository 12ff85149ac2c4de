// Package pii is the PII analyser (Analyzer, New) and the redaction of what it finds (Redact):
// detection of personally identifiable information with output in the shape of Comprehend's
// DetectPiiEntities / PII jobs: {"BeginOffset","EndOffset","Score","Type"} per span, offsets in
// characters (Unicode code points), EndOffset exclusive, sorted by BeginOffset, never
// overlapping, an empty (non-nil) slice when nothing is found. Rules and validators only: no
// model, no network, no cgo.
//
// Types and how each is found (score in brackets; 1.0 only where a checksum validates):
//
//   - CREDIT_DEBIT_NUMBER [1.0]: 14–19 digits, contiguous or in card grouping (4-4-4-4[-1..3],
//     4-6-5, 4-6-4) with one kind of separator (space or dash); Luhn checksum; issuer prefix and
//     length from a table of networks (Visa 16/19, Mastercard 51–55 and 2221–2720, Amex 34/37,
//     Discover, JCB, Diners, UnionPay, Maestro, Mir, RuPay). 13-digit numbers are not cards.
//     Order, invoice and tracking numbers are often issued with a Luhn check digit, so the
//     checksum does not prove a card: when the nearest keyword among the three words before
//     the number is order/invoice/ref/reference/tracking/ISBN/SKU/ticket/batch/serial/
//     receipt/booking/transaction/shipment/parcel/PO/… the number is not reported, unless a
//     card word (card, visa, mastercard, amex, credit, debit, …) is nearer.
//   - INTERNATIONAL_BANK_ACCOUNT_NUMBER [1.0]: ISO 13616: upper-case country code with its
//     registered length (77 countries), check digits, ISO 7064 mod-97 = 1; compact or in
//     groups of four.
//   - BANK_ROUTING [1.0]: nine digits after "routing"/"ABA"/"RTN" with the ABA 3-7-1 checksum.
//   - BANK_ACCOUNT_NUMBER [0.8]: 6–17 digits after "account number", "acct", "a/c", "bank
//     account", "checking", "savings", "Kontonummer", "numéro de compte", "numer rachunku", …
//     or right after (at most four bytes) a bare "account", "Konto", "compte", "cuenta",
//     "conto", "rekening", "rachunek" (no checksum exists, so context is required).
//   - EMAIL [0.99]: RFC 5322 dot-atom local part @ a domain of valid labels and an alphabetic
//     TLD; image-file names such as icon@2x.png are excluded.
//   - URL [0.99]: http://, https://, ftp:// or www. followed by a host with a dotted domain, an
//     IP literal or localhost; trailing punctuation and unbalanced brackets are trimmed. Bare
//     domains ("example.com") are not reported.
//   - IP_ADDRESS [0.98]: dotted-quad IPv4 with octets 0–255 and no leading zeros, not part of a
//     longer dotted number; IPv6 as parsed by net/netip. A dotted quad right after "version",
//     "ver", "v", "release", "build", "firmware", "rev", "section" or "§" is a version or
//     section number, not an address (a real address written there is missed: the context
//     decides).
//   - SSN [0.95 with context, 0.85 dashed alone]: US social security numbers; area not 000,
//     666 or 900–999, group not 00, serial not 0000, and the two numbers the SSA voided
//     (078-05-1120, 219-09-9999). NNN-NN-NNNN is accepted alone; NNN NN NNNN and nine
//     contiguous digits need context within 24 bytes before ("SSN", "social security", "social:", …: ssnContext),
//     or to repeat the digits of an SSN found earlier in the document [0.9].
//   - PHONE [0.9 international, 0.85 NANP, 0.75 distinctive national layout, 0.7 with context
//     only, 0.6 international with a length the country does not use]: +CC (or 00CC) numbers
//     with a valid ITU country code and 8–15 digits (E.164), a bracketed trunk "(0)" allowed
//     ("+44 (0)20 7946 0958"), the national number length checked for about 25 countries
//     (FR 9, PL 9, ES 9, NL 9, AU 9, IN 10, UK 9–10, …; 00CC numbers must fit); North American
//     numbers in (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX or 1-NXX-… layouts
//     with area code and exchange N = 2–9 and not N11. National numbers without a country
//     code must fit a national plan (trunk 0 and 10–12 digits; nine digits in PL/ES layouts
//     XX XXX XX XX, XXX XXX XXX, XXX XX XX XX; IN mobile XXXXX XXXXX; IT mobile 3XX XXX XXXX)
//     in groups of 2–8 digits with one kind of separator, and need phone context ("phone",
//     "tel", "call", "mobile", "fax", "reach", …) unless the layout is distinctive: FR
//     0X XX XX XX XX, UK mobile 07XXX XXXXXX, 0XX XXXX XXXX, AU mobile 04XX XXX XXX, or a
//     trunk code in parentheses "(02) 9876 5432". Ten contiguous NANP digits and seven-digit
//     local numbers need context too. Any phone is dropped when the nearest keyword among
//     the three words before it is an identifier word (order, invoice, ref, tracking, SKU,
//     ticket, batch, serial, …), as for cards.
//   - MAC_ADDRESS [0.95]: six hex pairs joined by ':' or '-', or three dotted quads of hex.
//   - AWS_ACCESS_KEY [0.95]: AKIA or ASIA followed by 16 base32 characters (A–Z, 2–7).
//   - AWS_SECRET_KEY [0.85]: a 40-character base64 token (upper, lower and digit or symbol)
//     in a secret-key key=value, or within 160 bytes after a "secret" mention or an access key.
//   - PASSWORD [0.85], USERNAME [0.8], PIN [0.8], CREDIT_DEBIT_CVV [0.85],
//     CREDIT_DEBIT_EXPIRY [0.85]: the value of a key=value or key: value pair whose key is
//     password/passwd/pwd/passphrase/passcode, username/user_name/login, pin, cvv/cvc/security
//     code, exp/expiry/expiration/valid thru ("user" only before '=': "User:" opens chat lines).
//     The span is the value only: a quoted value is the
//     text inside the quotes, otherwise the run of non-space characters, minus one trailing
//     ".", "," or ";". Masked values (********) are skipped. CVV, expiry and PIN are also
//     found after the keyword and a space alone ("exp 12/27 cvv 123", "valid thru 01/29",
//     "PIN is 7391", "PIN code 0420").
//   - DATE_TIME [0.85]: ISO 8601 dates and date-times, M/D/Y and D.M.Y numerals, English month
//     names (January 5, 2024; 5 January 2024; Jan. 5; March 2024) with an optional weekday, and
//     clock times (10:30, 10:30:15 PM, 9 am), a date followed by a time being one span.
//     Day and month ranges are checked.
//   - ADDRESS [0.8]: a house number, a capitalised street name and a street suffix (Street,
//     St., Avenue, Road, Blvd, Lane, Drive, …; the weak ones, Loop, Mews, Grove, Gardens,
//     Heights, Pike, only with the city part after them) with an optional direction (NW, West),
//     then optionally a unit (Apt 4B, Suite 200) and City, ST ZIP with a valid US state code
//     or name, City, PROVINCE POSTCODE (Canada) or City POSTCODE with a UK postcode; a
//     post-office box (P.O. Box 1234) with the same optional city part. European
//     addresses need a postal code and a city after the street: "ul. Marszałkowska 10/2,
//     00-590 Warszawa", "Hauptstraße 5, 10115 Berlin", "12 rue de la Paix, 75002 Paris",
//     "Keizersgracht 123, 1015 CJ Amsterdam", "Via Roma 15, 00184 Roma" (street keyword
//     first, a street suffix such as -straße/-straat/-gracht/-vej, or a number then rue/
//     avenue/boulevard; postal codes NN-NNN, NNNNN, NNNN, NNNN LL).
//   - NAME [0.8 a PERSON span of the ENTITIES analyser (its sequence model), kept unless in
//     capitals, holding a word of nameStopList, made only of common words and initials
//     (text.go commonPhrase, lexicon/common_words.txt), holding code (innerCapital, repeatsWord), or of one word that is neither a known
//     given name or surname nor a word of a longer person span of the text (text.go
//     personNames); held out, TestPIINameCoNLLHeldOut: P 0.922 R 0.824 on CoNLL-2003 person
//     names (P 0.921 R 0.824 without the held-out sentences that repeat a train or dev one), the
//     rules below alone P 0.886 R 0.383] and by rules [0.9 after an honorific, 0.85 first
//     name + surname, 0.6 a first name alone]: a
//     capitalised token after Mr/Mrs/Ms/Miss/Mx/Dr/Prof/Sir/Dame, or a first name from an
//     embedded gazetteer of about 700 given names (English-speaking, European, Latin American,
//     South Asian, Arabic and East Asian romanised) followed by capitalised tokens. Given
//     names that are also common words or places (May, Will, Grace, Jordan, Paris, …) need a
//     surname or an honorific. The honorific is not part of the span. In capitals (forms,
//     headers: "JOHN SMITH") a known given name followed by a known surname [0.8]. A
//     hyphenated given name counts as known when its first part is ("Jean-Luc Picard").
//   - National identifiers and codes (national.go): UK_NATIONAL_INSURANCE_NUMBER [0.9, 0.95
//     with context] (two prefix letters of those issued, six digits, suffix A–D, spaced in
//     pairs or not), IN_PERMANENT_ACCOUNT_NUMBER [0.85, 0.95] (five capitals, the fourth a
//     holder kind, four digits, a capital), VEHICLE_IDENTIFICATION_NUMBER [0.9, 0.95] (17
//     capitals and digits without I, O, Q, with a valid ISO 3779 check digit, or [0.85] any
//     such after "VIN"); after their context word only: US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER
//     [0.95] (9xx-xx-xxxx with the middle group in the IRS's ranges 50–65, 70–88, 90–92, 94–99,
//     after "ITIN", "taxpayer identification"),
//     CA_SOCIAL_INSURANCE_NUMBER [0.9] (3-3-3, Luhn, not starting 0 or 8, after "SIN", "social
//     insurance"), UK_NATIONAL_HEALTH_SERVICE_NUMBER [0.9] (3-3-4, modulus 11, after "NHS"),
//     IN_AADHAAR [0.9] (4-4-4, not starting 0 or 1, Verhoeff, after "Aadhaar", "UID"),
//     SWIFT_CODE [0.9] (8 or 11 capitals and digits, the first six letters, the fifth and sixth
//     an ISO country code, after "swift code", "swift:", "bic:", …). Each also as one run of digits. On the 50,000 IMDB reviews none is found.
//   - AGE [0.85] (personal.go): "40 years" in "40 years old" (also months, weeks, days;
//     hyphenated "40-year-old"), the number after "aged", "age:" or "at/his/her/my… age".
//     After their context word [0.8–0.85]: PASSPORT_NUMBER, DRIVER_ID, LICENSE_PLATE.
//
// When spans overlap, a span that contains another wins (a URL over the IP or date inside it,
// an e-mail address over the www. host inside it); otherwise the type with the higher
// priority wins (checksum-validated, then format-validated, then contextual, then DATE_TIME,
// ADDRESS, NAME).
//
// Limits: 100,000 bytes per document (DefaultMaxBytes, Comprehend's); English only for
// the language-dependent rules (names, addresses, dates, context words), so a document whose
// declared language is not English is a DocError UNSUPPORTED_LANGUAGE, as for SENTIMENT.
// Redact writes the redacted copies Comprehend's PII jobs write.
package pii
