// The wide cards that panels add to the page on first use (sparse pattern, Poincaré
// disk, distance encoding): one <section> with a heading #<name>-title and a body
// #<name>-body, inserted before `before`.

/** The card #<name>-card, created on first use; `title` (if given) is its heading. */
export function wideCard(views, before, name, title = '') {
  let card = views.querySelector(`#${name}-card`);
  if (!card) {
    card = document.createElement('section');
    card.className = 'card wide';
    card.id = `${name}-card`;
    card.setAttribute('aria-labelledby', `${name}-title`);
    const heading = document.createElement('h2');
    heading.id = `${name}-title`;
    heading.textContent = title;
    const body = document.createElement('div');
    body.id = `${name}-body`;
    card.append(heading, body);
    views.insertBefore(card, before);
  }
  return card;
}
