// De-identified bulk exports ($export with _deid, src/export/deid-*.ts): what a released resource
// carries that R4 has no element for.

Extension: BirthDateBand
Id: birth-date-band
Title: "Birth date band"
Description: "Written by an anonymised export (_deid=anonymised) in place of Patient.birthDate when the measured release generalises births to a band of years: the band's first and last year. Without a start the band is open below (the end year or earlier), as births of people over 89 are top-coded. A Patient with this extension has no birthDate."
Context: Patient
* value[x] only Period
* valuePeriod.start ^short = "The band's first year (YYYY); absent: the end year or earlier"
* valuePeriod.end 1..1
* valuePeriod.end ^short = "The band's last year (YYYY)"
