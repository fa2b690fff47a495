/* Discipline opinion: choosing another discipline reloads the form with that discipline's anomalies. */
document.getElementById("id_discipline").addEventListener("change", function () { location.search = "?discipline=" + this.value; });
