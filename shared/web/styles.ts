/**
 * The catalogue's one stylesheet, sent inline in every page (allowed by its hash in the CSP, so
 * a page needs no second request). System fonts, a readable measure, light and dark schemes,
 * visible focus, and nothing wider than a phone's 390 px: long names, hashes and code wrap or
 * scroll inside their own box.
 */
export const STYLESHEET = `
:root{color-scheme:light dark;--bg:#fbfbfa;--fg:#1c1d1f;--muted:#555a61;--line:#d9dbde;--card:#fff;--accent:#0b5cad;--accent-fg:#fff;--mark:#ffe58a;--code:#f1f2f4;--warn-bg:#fff4d6;--warn-fg:#6b4500;--bad-bg:#fde2e1;--bad-fg:#8a1712;--focus:#c2410c}
@media (prefers-color-scheme:dark){:root{--bg:#141518;--fg:#e9eaec;--muted:#a9aeb6;--line:#34373d;--card:#1c1e22;--accent:#7db7ff;--accent-fg:#0b1320;--mark:#6b5300;--code:#26292e;--warn-bg:#3b2f0c;--warn-fg:#ffd77a;--bad-bg:#4a1513;--bad-fg:#ffb4ae;--focus:#ffb86b}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
a{color:var(--accent)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem;z-index:1}
.skip:focus{left:.5rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.wrap{max-width:72rem;margin:0 auto;padding:0 1rem}
header.site{border-bottom:1px solid var(--line);background:var(--card)}
header.site .wrap{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding-top:.6rem;padding-bottom:.6rem}
.brand{font-weight:700;font-size:1.15rem;text-decoration:none;color:var(--fg)}
form.search{display:flex;gap:.4rem;flex:1 1 16rem;max-width:36rem}
form.search input{flex:1;min-width:0}
input,select,button{font:inherit;color:inherit}
input[type=search],input[type=text]{padding:.45rem .6rem;border:1px solid var(--muted);border-radius:6px;background:var(--bg)}
button,.button{padding:.45rem .9rem;border:1px solid var(--accent);border-radius:6px;background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none}
main.wrap{padding-top:1.5rem;padding-bottom:3rem}
h1{font-size:1.8rem;line-height:1.2;margin:.2rem 0 .6rem}
h2{font-size:1.3rem;margin:2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:0}
.muted{color:var(--muted)}
.desc{margin:.3rem 0 0}
.lead{font-size:1.1rem;margin:.2rem 0 1rem}
.hero{padding:1.5rem 0}
.hero form.search{max-width:40rem}
.stats{display:flex;gap:2rem;flex-wrap:wrap;margin:1rem 0}
.stats strong{display:block;font-size:1.6rem}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1.5rem}
ul.packages{list-style:none;margin:0;padding:0}
ul.packages>li{border:1px solid var(--line);background:var(--card);border-radius:8px;padding:.8rem 1rem;margin:0 0 .7rem}
.row-head{display:flex;flex-wrap:wrap;gap:.3rem .7rem;align-items:baseline}
.row-head a{font-weight:600;font-size:1.05rem}
.meta{display:flex;flex-wrap:wrap;gap:.2rem 1rem;font-size:.9rem;color:var(--muted);margin:.3rem 0 0}
.chips{display:flex;flex-wrap:wrap;gap:.3rem;margin:.4rem 0 0;padding:0;list-style:none}
.chips a,.chips span{display:inline-block;font-size:.85rem;padding:.05rem .5rem;border:1px solid var(--line);border-radius:999px;text-decoration:none}
.matches{margin:.5rem 0 0;padding:0;list-style:none;font-size:.92rem}
.matches li{border-left:3px solid var(--line);padding:.2rem .6rem;margin:.3rem 0}
mark{background:var(--mark);color:inherit;padding:0 .1rem;border-radius:2px}
.install{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;background:var(--code);border-radius:8px;padding:.6rem .8rem;margin:1rem 0}
.install code{flex:1;min-width:0;font-size:1rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
:not(pre)>code{background:var(--code);padding:.1rem .3rem;border-radius:4px}
pre{background:var(--code);padding:.8rem;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:1rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
.table-scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.93rem}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
td.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;word-break:break-all;min-width:12rem}
.file{border:1px solid var(--line);border-radius:8px;background:var(--card);margin:0 0 1.2rem}
.file>header{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
.file .body{padding:0 1rem}
.file details{padding:.4rem 1rem .8rem}
.markdown img{max-width:100%}
.markdown table{margin:.8rem 0;display:block;max-width:100%;overflow-x:auto}
.align-center{text-align:center}.align-right{text-align:right}
.badge{display:inline-block;font-size:.8rem;font-weight:600;padding:.1rem .5rem;border-radius:999px;border:1px solid currentColor}
.notice{border-radius:8px;padding:.7rem 1rem;margin:1rem 0}
.notice.warn{background:var(--warn-bg);color:var(--warn-fg)}
.notice.bad{background:var(--bad-bg);color:var(--bad-fg)}
.badge.warn{background:var(--warn-bg);color:var(--warn-fg)}
.badge.bad{background:var(--bad-bg);color:var(--bad-fg)}
.hidden-char{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8em;background:var(--bad-bg);color:var(--bad-fg);border-radius:3px;padding:0 .15rem}
.hidden-comment{display:block;border:2px dashed var(--warn-fg);background:var(--warn-bg);color:var(--warn-fg);border-radius:6px;padding:.3rem .5rem;margin:.3rem 0;white-space:pre-wrap}
.findings{margin:.4rem 0 0;padding-left:1.2rem}
.findings code{word-break:break-all}
.agent-view{margin:.6rem 0}
.pager{display:flex;justify-content:space-between;gap:1rem;margin:1.5rem 0}
fieldset{border:1px solid var(--line);border-radius:8px;padding:.6rem 1rem;margin:0 0 1rem;display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:end}
fieldset label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
footer.site{border-top:1px solid var(--line);padding:1rem 0 2rem;font-size:.9rem;color:var(--muted)}
@media (max-width:40rem){h1{font-size:1.45rem}dl.facts{grid-template-columns:1fr}dl.facts dt{margin-top:.4rem}}
`.replace(/\n/g, '');
