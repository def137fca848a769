

no data at allms