"""caching/lru.py: the bounded LRU dict behind the memory cache and the page store."""

import threading

from {{ cookiecutter.repo_name }}.caching.lru import LockedLRU


def test_the_least_recently_read_entry_goes_first():
    lru = LockedLRU(3)
    for key in "abc":
        lru[key] = key.upper()

    assert lru.get("a") == "A"  # read: now the most recent
    lru["d"] = "D"

    assert [lru.get(key) for key in "abcd"] == ["A", None, "C", "D"]
    assert len(lru) == lru.currsize == 3


def test_a_byte_budget_counts_each_value_once():
    lru = LockedLRU(10, getsizeof=len)
    lru["a"] = "xxxx"
    lru["a"] = "xxxxxx"  # replaced, not added
    lru["b"] = "xxxx"

    assert (lru.currsize, lru.get("a"), lru.get("b")) == (10, "xxxxxx", "xxxx")
    lru["c"] = "xxx"  # evicts "a", the least recently read
    assert (lru.currsize, lru.get("a")) == (7, None)
    assert lru.pop("b") == "xxxx" and lru.currsize == 3
    lru.clear()
    assert (lru.currsize, len(lru), lru.get("c", "gone")) == (0, 0, "gone")


def test_a_value_over_the_whole_budget_is_not_kept_and_drops_the_old_one():
    lru = LockedLRU(10, getsizeof=len)
    lru["a"] = "xxxx"
    lru["a"] = "x" * 11

    assert (lru.get("a"), lru.currsize, len(lru)) == (None, 0, 0)


def test_reads_and_writes_from_many_threads_keep_the_budget():
    lru = LockedLRU(50, getsizeof=len)
    errors = []

    def work(worker):
        try:
            for number in range(3000):
                key = (worker * 7 + number) % 40
                if number % 3:
                    lru.get(key)
                else:
                    lru[key] = "x" * (key % 5 + 1)
                if number % 97 == 0:
                    lru.pop(key)
        except Exception as error:  # any race shows up here
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    kept = {key: lru.get(key) for key in range(40)}
    sizes = sum(len(value) for value in kept.values() if value is not None)
    assert lru.currsize == sizes <= 50
