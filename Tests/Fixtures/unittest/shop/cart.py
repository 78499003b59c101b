def total(prices):
    return sum(prices)


def discount(price, percent):
    return price - price * percent / 10
