-- A shipping order's row is updated once, right after its insert (the shipment is scheduled).
-- On a full page that update cannot be HOT (a new index entry and a dead tuple for vacuum), so
-- half of each page is left free on insert (docs/performance.md). Existing pages keep their layout.
ALTER TABLE "shipping_orders" SET (fillfactor = 50);
