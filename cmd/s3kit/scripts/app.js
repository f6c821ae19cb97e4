// s3kit serve: uploads with a progress bar per file, through the server
// (POST /upload, multipart) or straight to S3 (a presigned POST policy).
"use strict";

const input = document.getElementById("files");
const drop = document.getElementById("drop");
const list = document.getElementById("uploads");
const stored = document.getElementById("stored");

function via() {
  return document.querySelector('input[name="via"]:checked').value;
}

function mediaLink(name) {
  return "/media/" + name.split("/").map(encodeURIComponent).join("/");
}

// row adds a line for one file and returns its parts.
function row(file) {
  const li = document.createElement("li");
  li.className = "upload";
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.className = "bar";
  bar.max = 100;
  bar.value = 0;
  const pct = document.createElement("span");
  pct.className = "pct";
  pct.textContent = "0 %";
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "waiting";
  li.append(name, bar, pct, state);
  list.append(li);
  return {
    li, bar, pct, state,
    progress(loaded, total) {
      const p = total ? Math.floor((100 * loaded) / total) : 0;
      bar.value = p;
      pct.textContent = p + " %";
      li.dataset.updates = String(Number(li.dataset.updates || 0) + 1);
    },
    done(storedName) {
      bar.value = 100;
      pct.textContent = "100 %";
      li.classList.add("done");
      state.textContent = "";
      const a = document.createElement("a");
      a.className = "link";
      a.href = mediaLink(storedName);
      a.textContent = storedName;
      state.append("stored as ", a);
      const item = document.createElement("li");
      const copy = a.cloneNode(true);
      copy.className = "";
      item.append(copy);
      stored.prepend(item);
      const empty = document.getElementById("stored-empty");
      if (empty) empty.remove();
    },
    fail(message) {
      li.classList.add("failed");
      state.textContent = "failed: " + message;
    },
  };
}

// send posts a form with XMLHttpRequest, which reports upload progress.
function send(url, form, r) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.onprogress = (e) => r.progress(e.loaded, e.total);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => resolve(xhr);
    xhr.send(form);
  });
}

function errorOf(xhr) {
  try {
    return JSON.parse(xhr.responseText).error.message;
  } catch (e) {
    return xhr.status ? "HTTP " + xhr.status : "the connection failed";
  }
}

async function throughServer(file, r) {
  const form = new FormData();
  form.append("file", file);
  r.state.textContent = "uploading through the server";
  const xhr = await send("/upload", form, r);
  if (xhr.status !== 201) return r.fail(errorOf(xhr));
  r.done(JSON.parse(xhr.responseText).files[0].name);
}

async function straightToS3(file, r) {
  r.state.textContent = "asking for a policy";
  const ask = await fetch("/upload/policy", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ filename: file.name, content_type: file.type || "application/octet-stream", size: file.size }),
  });
  const policy = await ask.json();
  if (!ask.ok) return r.fail(policy.error ? policy.error.message : "HTTP " + ask.status);
  const form = new FormData();
  for (const [k, v] of Object.entries(policy.fields)) form.append(k, v);
  form.append("file", file); // the file goes last
  r.state.textContent = "uploading straight to S3";
  const xhr = await send(policy.url, form, r);
  if (xhr.status !== 204 && xhr.status !== 201 && xhr.status !== 200) return r.fail("S3 answered HTTP " + xhr.status);
  r.done(policy.name);
}

async function upload(files) {
  const how = via() === "s3" ? straightToS3 : throughServer;
  await Promise.all(
    Array.from(files).map((f) => {
      const r = row(f);
      return how(f, r).catch((e) => r.fail(String(e)));
    }),
  );
}

input.addEventListener("change", () => {
  if (input.files.length) upload(input.files).then(() => (input.value = ""));
});
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  upload(e.dataTransfer.files);
});
