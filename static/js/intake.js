// 受理登记: show the channel's own fields (12351 work order, 上级交办) only for that channel, and
// open the sub-form of the complainant choice picked. Without JavaScript everything stays visible.
(function () {
  "use strict";
  var form = document.querySelector("form[data-intake]");
  if (!form) { return; }

  function channel() {
    var picked = form.querySelector("input[name=channel]:checked");
    return picked ? picked.value : "";
  }

  function showChannelParts() {
    var current = channel();
    form.querySelectorAll(".channel-part").forEach(function (part) {
      part.hidden = part.getAttribute("data-channel") !== current;
    });
  }

  function openChosenPart() {
    var picked = form.querySelector("input[name=person_choice]:checked");
    var value = picked ? picked.value : "";
    form.querySelectorAll("details[data-part=new], details[data-part=partial]").forEach(function (part) {
      if (part.getAttribute("data-part") === value) { part.open = true; }
    });
    var employer = form.querySelector("input[name=employer_choice]:checked");
    var newEmployer = form.querySelector("details[data-part=new-employer]");
    if (employer && newEmployer && employer.value === "new") { newEmployer.open = true; }
  }

  form.addEventListener("change", function (event) {
    var name = event.target && event.target.name;
    if (name === "channel") { showChannelParts(); }
    if (name === "person_choice" || name === "employer_choice") { openChosenPart(); }
  });
  showChannelParts();
})();
